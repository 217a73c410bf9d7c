"""An example FastAPI + SQLAlchemy 2.0 app whose users' e-mail and phone are stored encrypted."""
