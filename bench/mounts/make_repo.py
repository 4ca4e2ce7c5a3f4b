#!/usr/bin/env python3
"""Writes a git fast-import stream for a repository of about N files with history:
one commit with every file (100 per directory), then 20 commits that each change 25 files.
Usage: make_repo.py N | git -C BARE fast-import --quiet"""
import sys

n = int(sys.argv[1])
out = sys.stdout.buffer
when = 1700000000


def data(payload):
    out.write(b"data %d\n" % len(payload))
    out.write(payload)
    out.write(b"\n")


def path(i):
    return "src/d%04d/file%05d.txt" % (i // 100, i)


def content(i, rev):
    line = ("file %d revision %d: the quick brown fox jumps over the lazy dog\n" % (i, rev))
    return (line * 4).encode()


def commit(message, changes, ts):
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer Bench <bench@cove.invalid> %d +0000\n" % ts)
    data(message.encode())
    for p, payload in changes:
        out.write(b"M 100644 inline %s\n" % p.encode())
        data(payload)


commit("initial import of %d files" % n, [(path(i), content(i, 0)) for i in range(n)], when)
for rev in range(1, 21):
    step = max(1, n // 25)
    changes = [(path((k * step + rev) % n), content((k * step + rev) % n, rev)) for k in range(25)]
    commit("change %d" % rev, changes, when + rev * 60)
out.write(b"done\n")
