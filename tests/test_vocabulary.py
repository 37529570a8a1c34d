#!/usr/bin/env python3
"""One vocabulary: the names of outcomes, lookup outcomes, transports, upstream causes and ICMP
kinds are defined once, in plugin/core/names.c. This test holds to them, and to each other:

- the engine's lists, printed by tests/vocabulary_dump.c (built against the same names.c);
- scripts/dnsmon-load's Enum lists (the ClickHouse table's columns), in the same order;
- `tshark -G fields` with the plugin: the field list and each enumerated field's description;
- the README: its field table (every field, with its type), its expert table (every expert
  filter), its outcome table, and the values each enumerated field's row names.
"""
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess
import sys
import unittest

from harness import REPO, TsharkTestCase, main_exit, skip_program

DUMP = os.environ.get("DNSMON_VOCABULARY_DUMP")
README = os.path.join(REPO, "README.md")

# The README's type words and the field types they stand for.
TYPES = {"uint": {"FT_UINT8", "FT_UINT16", "FT_UINT32", "FT_UINT64"}, "string": {"FT_STRING"},
         "bool": {"FT_BOOLEAN"}, "IPv4": {"FT_IPv4"}, "IPv6": {"FT_IPv6"},
         "frame": {"FT_FRAMENUM"}, "time": {"FT_RELATIVE_TIME"}, "double": {"FT_DOUBLE"}}

# Enumerated fields: which list of the engine names their values.
ENUMERATED = {"dnsmon.outcome": "outcomes", "dnsmon.transport": "transports",
              "dnsmon.icmp.kind": "icmp_kinds", "dnsmon.lookup.outcome": "lookup_outcomes",
              "dnsmon.upstream.cause": "upstream_causes"}


def load_dnsmon_load():
    path = os.path.join(REPO, "scripts", "dnsmon-load")
    loader = importlib.machinery.SourceFileLoader("dnsmon_load", path)
    spec = importlib.util.spec_from_loader("dnsmon_load", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def readme_tables(path=README):
    """Every markdown table of the file: (header cells, [row cells])."""
    tables, current = [], None
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if not line.startswith("|"):
                current = None
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if current is None:
                current = (cells, [])
                tables.append(current)
            elif not set(line) <= set("|-: "):
                current[1].append(cells)
    return tables


def table(header):
    found = [rows for head, rows in readme_tables() if head == header]
    if len(found) != 1:
        raise AssertionError("README: %d tables with the header %s" % (len(found), header))
    return found[0]


def ticked(cell):
    return re.findall(r"`([^`]+)`", cell)


def field_names(cell, stem="dnsmon"):
    """`dnsmon.a`, `dnsmon.b` or `dnsmon.expert.x`, `.y` (relative to the previous)."""
    names, base = [], None
    for t in ticked(cell):
        if t.startswith("."):
            names.append(base + t)
        elif t.startswith(stem + "."):
            names.append(t)
            base = t.rsplit(".", 1)[0]
    return names


class Vocabulary(TsharkTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = json.loads(subprocess.run([DUMP], check=True, capture_output=True,
                                               text=True).stdout)
        cls.fields = {}
        for line in cls.ts.stdout("-G", "fields").splitlines():
            row = line.split("\t")
            if row[0] == "F" and len(row) > 7 and row[4] == "dnsmon":
                cls.fields[row[2]] = {"type": row[3], "blurb": row[7]}

    def test_engine_lists_are_sane(self):
        """The dump is what names.c says: every list non-empty, no name twice."""
        for key, names in self.engine.items():
            self.assertTrue(names, key)
            self.assertEqual(len(names), len(set(names)), key + ": a name twice")
            for n in names:
                self.assertRegex(n, r"^[a-z][a-z0-9_]*$", key)
        self.assertIn("rejected", self.engine["outcomes"])
        self.assertIn("port_unreachable", self.engine["icmp_kinds"])

    def test_dnsmon_load_enums(self):
        """The loader's Enums are the engine's lists, in the engine's order (stored Enum
        numbers keep their meaning only if new names come at the end)."""
        load = load_dnsmon_load()
        self.assertEqual(load.OUTCOMES, self.engine["outcomes"])
        self.assertEqual(load.LOOKUP_OUTCOMES, self.engine["lookup_outcomes"])
        self.assertEqual(load.TRANSPORTS, self.engine["transports"])
        self.assertEqual(load.UPSTREAM_CAUSES, self.engine["upstream_causes"])
        self.assertEqual(load.ICMP_KINDS, self.engine["icmp_kinds"])
        self.assertEqual(sorted(load.ICMP_FROM), sorted(self.engine["icmp_from"]))

    def test_field_descriptions_name_every_value(self):
        """`tshark -G fields`: each enumerated field's description lists the engine's names."""
        for field, key in ENUMERATED.items():
            self.assertIn(field, self.fields)
            blurb = self.fields[field]["blurb"]
            listed = re.findall(r"[a-z][a-z0-9_]*", blurb.split(":")[-1])
            self.assertEqual([w for w in listed if w != "or"], self.engine[key], field)

    def test_readme_field_table(self):
        """The README's field table names every field tshark knows, no other, with its type."""
        listed = {}
        for cells in table(["field", "type", "on", "meaning"]):
            names = field_names(cells[0])
            types = [t.strip() for t in cells[1].split(",")]
            self.assertTrue(names, "README field row without a field: %s" % cells[0])
            if len(types) == 1:
                types = types * len(names)
            self.assertEqual(len(types), len(names), "README types of %s" % cells[0])
            for name, word in zip(names, types):
                self.assertNotIn(name, listed, name + " twice in the README")
                listed[name] = word
        known = {n for n in self.fields if not n.startswith("dnsmon.expert.")}
        self.assertEqual(set(listed), known, "README field table vs tshark -G fields")
        for name, word in listed.items():
            self.assertIn(word, TYPES, "%s: unknown type word %r" % (name, word))
            self.assertIn(self.fields[name]["type"], TYPES[word], name)

    def test_readme_expert_table(self):
        """The README's expert table names every expert filter tshark knows, no other."""
        listed = set()
        for cells in table(["filter", "severity", "on", "example"]):
            names = field_names(cells[0])
            self.assertTrue(names, "README expert row without a filter: %s" % cells[0])
            listed.update(names)
        known = {n for n in self.fields if n.startswith("dnsmon.expert.")}
        self.assertEqual(listed, known, "README expert table vs tshark -G fields")

    def test_readme_outcome_table(self):
        """The README's outcome table names every outcome, once."""
        listed = [t for cells in table(["outcome", "when"]) for t in ticked(cells[0])]
        self.assertEqual(sorted(listed), sorted(self.engine["outcomes"]))

    def test_readme_enumerated_rows(self):
        """Each enumerated field's README row names exactly the engine's values."""
        rows = {n: cells for cells in table(["field", "type", "on", "meaning"])
                for n in field_names(cells[0])}
        for field, key in ENUMERATED.items():
            if field == "dnsmon.outcome":
                continue    # its values are the outcome table's
            values = [t for t in ticked(rows[field][3]) if re.match(r"^[a-z][a-z0-9_]*$", t)]
            self.assertEqual(sorted(values), sorted(self.engine[key]), field)


if __name__ == "__main__":
    if not DUMP:
        skip_program("vocabulary: DNSMON_VOCABULARY_DUMP is not set (ctest sets it)")
    sys.exit(main_exit(unittest.main(argv=sys.argv[:1], verbosity=2, exit=False)))
