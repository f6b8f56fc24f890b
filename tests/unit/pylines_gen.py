"""Prints one function's line table as this interpreter compiled it, and
the line of every instruction offset as the interpreter itself says
(dis.findlinestarts before 3.10, co_lines() after): the data of
tests/unit/test_pylines.c. Run it with each CPython to add one."""
import sys, dis
def sample(a, b):
    x = a + b
    if x > 3:
        y = [i * 2
             for i in range(x)]
    else:
        y = None
    return (x,
            y)
c = sample.__code__
v = sys.version_info[:2]
if v < (3, 10):
    table = c.co_lnotab
    unit = 1  # lasti in bytes
    n = len(c.co_code)
    lines = {}
    starts = dict((off, line) for off, line in dis.findlinestarts(c))
    cur = c.co_firstlineno
    res = []
    for off in range(0, n, 2):
        if off in starts: cur = starts[off]
        res.append((off, cur))
else:
    table = c.co_linetable
    res = []
    for start, end, line in c.co_lines():
        for off in range(start, end, 2):
            res.append((off // 2, -1 if line is None else line))
print("/* %d.%d */" % v)
print("table:", ", ".join("0x%02x" % b for b in table))
print("first:", c.co_firstlineno, "n:", len(res))
print("expect:", ", ".join("{%d, %d}" % r for r in res))
