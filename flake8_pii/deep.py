"""Deeply nested code: how deep a module nests, and a large stack to analyse it on.

Parsers and visitors (`ast`, libcst, the type pass) recurse once per level of nesting. Valid
code nested a few hundred levels deep (long `a + b + ...` or `x.f().g()...` chains, thousands of
implicitly concatenated strings) exhausts Python's default recursion limit, so such a module is
analysed again on a thread with a large stack and a high recursion limit. Beyond
`MAX_NESTING` levels libcst's parser takes seconds to minutes and its native code can overflow
any stack, so those modules are not parsed with libcst at all.
"""

from __future__ import annotations

import ast
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Measured: libcst parses code nested this deep in about a second, and the whole analysis of it
# stays far below the large stack's recursion limit. Real code nests a few dozen levels (26 at
# most in CPython's standard library and Django).
MAX_NESTING = 1000

# The recursion limit is chosen so that a RecursionError always comes before the end of the
# stack: 256 MiB is about 2.6 KiB of C stack per Python frame, more than a frame that recurses
# through C code (generators, `map`, `sorted`, libcst's visitors) uses.
LARGE_STACK_BYTES = 256 * 1024 * 1024
LARGE_RECURSION_LIMIT = 100_000

_large_stack_lock = threading.Lock()
_here = threading.local()


def ran_out_of_stack(error: BaseException) -> bool:
    """Whether `error` is a RecursionError or was raised while one was being handled (libcst's
    position provider turns one into a KeyError while it cleans up)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, RecursionError):
            return True
        seen.add(id(current))
        current = current.__context__
    return False


def on_large_stack(work: Callable[[], T]) -> T:
    """`work()`, run on a thread with a large stack and a high recursion limit.

    Its result is returned and its exception raised here. Calls are serialised: the stack size
    of new threads and the recursion limit are process-wide settings, restored afterwards.
    """
    if getattr(_here, "large_stack", False):
        return work()  # already on one (the analysis of a module indexes another)
    results: list[T] = []
    failures: list[BaseException] = []

    def run() -> None:
        _here.large_stack = True
        try:
            results.append(work())
        except BaseException as error:  # handed to the calling thread below
            failures.append(error)

    with _large_stack_lock:
        thread = threading.Thread(target=run, name="pii-guard-large-stack", daemon=True)
        previous_limit = sys.getrecursionlimit()
        # the size is read when the thread starts, not when it is created
        previous_size = threading.stack_size(LARGE_STACK_BYTES)
        try:
            sys.setrecursionlimit(max(previous_limit, LARGE_RECURSION_LIMIT))
            thread.start()
        finally:
            threading.stack_size(previous_size)
        try:
            thread.join()
        finally:
            sys.setrecursionlimit(previous_limit)
    if failures:
        raise failures[0]
    return results[0]


def retrying_on_large_stack(work: Callable[[], T]) -> T:
    """`work()`; when it runs out of stack, once more on a large stack."""
    try:
        return work()
    except Exception as error:
        if not ran_out_of_stack(error):
            raise
    return on_large_stack(work)


def deepest_nesting(tree: ast.AST) -> tuple[int, int]:
    """(levels, line) of the most deeply nested node, counted as libcst nests its nodes.

    libcst nests some constructs that `ast` keeps flat: each further operand of `a and b and c`,
    each `elif`, each further `for` of a comprehension is one level deeper. Implicitly
    concatenated strings nest in libcst too, but `ast` cannot tell how many pieces a string had;
    libcst refuses too many of them itself, with an error.
    """
    deepest = (0, 0)
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        depth += 1
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 2
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            depth += len(node.generators) - 1
        if depth > deepest[0]:
            deepest = (depth, getattr(node, "lineno", deepest[1]))
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))
    return deepest
