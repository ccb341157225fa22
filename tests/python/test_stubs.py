"""bindings/python/pybeyla.pyi describes the compiled module: the same names, classes,
methods and keyword arguments."""
import ast
import os
import re

import pybeyla

STUB = os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python", "pybeyla.pyi")
# Helpers only the stub has (typing aliases for the dicts the module returns).
STUB_ONLY = {"Span", "CapItem", "TlsLibrary", "Metric", "MetricPoint"}


def stub_tree():
    with open(STUB) as f:
        return ast.parse(f.read())


def public(names):
    return {n for n in names if not n.startswith("_") or n in ("__version__", "__enter__", "__exit__", "__iter__",
                                                             "__next__", "__getitem__", "__contains__", "__len__")}


def stub_members(cls):
    return {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}


def test_stub_names_match_the_module():
    tree = stub_tree()
    top = set()
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            top.add(n.name)
        elif isinstance(n, ast.AnnAssign):
            top.add(n.target.id)
        elif isinstance(n, ast.Assign):
            top.update(t.id for t in n.targets)
    assert top - STUB_ONLY == public(dir(pybeyla))
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name not in STUB_ONLY):
        got, want = stub_members(cls) - {"__init__"}, public(dir(getattr(pybeyla, cls.name)))
        assert got == want, (cls.name, sorted(got ^ want))


def kwargs_of(doc):
    """Keyword names from a pybind11 signature line: "f(self, *, a: int = 0, b: str = 'x') -> None"."""
    sig = doc.splitlines()[0]
    inside = sig[sig.index("(") + 1:sig.rindex(")")]
    return [m.group(1) for m in re.finditer(r"(?:^|, )(\w+):", inside) if m.group(1) != "self"]


def test_stub_keyword_arguments_match():
    tree = stub_tree()
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    tracer = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tracer")
    init = next(n for n in tracer.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    assert [a.arg for a in init.args.kwonlyargs] == kwargs_of(pybeyla.Tracer.__init__.__doc__)
    caps = funcs["capabilities"]
    assert [a.arg for a in caps.args.kwonlyargs] == kwargs_of(pybeyla.capabilities.__doc__)
    # The defaults the stub documents are the module's: TLS capture on.
    assert "tls: bool = True" in pybeyla.Tracer.__init__.__doc__
