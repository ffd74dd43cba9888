#!/usr/bin/env python3
"""Strict checks of an HTML5 page (the receiver's dashboard) with Python's html.parser.

Usage: check-html.py FILE. Prints one line per problem and exits 1 if there is any, else 0.
Checks: <!DOCTYPE html> first, <html lang=...>, one non-empty <title>, every non-void element
closed in order (no unclosed or stray end tags), unique ids, no <script>, attributes quoted
well enough to parse, and no external resource (src/href to another origin).
"""
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# SVG elements written self-closed (<rect/>) are fine; html.parser reports them as startendtag.


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.stack = []
        self.ids = {}
        self.doctype = None
        self.seen_content = False
        self.lang = None
        self.titles = []
        self.in_title = False
        self.title_text = ""

    def where(self):
        line, column = self.getpos()
        return f"line {line}, column {column + 1}"

    def handle_decl(self, decl):
        if self.seen_content or self.doctype is not None:
            self.problems.append(f"{self.where()}: DOCTYPE not first")
        self.doctype = decl

    def check_attributes(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                if not value:
                    self.problems.append(f"{self.where()}: empty id on <{tag}>")
                elif value in self.ids:
                    self.problems.append(f"{self.where()}: id '{value}' already used at {self.ids[value]}")
                else:
                    self.ids[value] = self.where()
            if name in ("src", "href") and value and ("//" in value or value.startswith("data:")) and tag != "svg":
                self.problems.append(f"{self.where()}: <{tag}> loads an external resource {value}")
        if tag == "script":
            self.problems.append(f"{self.where()}: <script> element")

    def handle_starttag(self, tag, attrs):
        self.seen_content = True
        self.check_attributes(tag, attrs)
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag == "title" and self.stack and self.stack[-1] == "head":
            self.in_title = True
            self.title_text = ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.seen_content = True
        self.check_attributes(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"{self.where()}: end tag of void element </{tag}>")
            return
        if not self.stack:
            self.problems.append(f"{self.where()}: stray </{tag}>")
            return
        if self.stack[-1] != tag:
            self.problems.append(f"{self.where()}: </{tag}> closes <{self.stack[-1]}>")
            if tag in self.stack:
                while self.stack and self.stack[-1] != tag:
                    self.stack.pop()
                self.stack.pop()
            return
        self.stack.pop()
        if tag == "title" and self.in_title:
            self.in_title = False
            self.titles.append(self.title_text.strip())

    def handle_data(self, data):
        if data.strip():
            self.seen_content = True
        if self.in_title:
            self.title_text += data

    def finish(self):
        if self.doctype is None or self.doctype.strip().lower() != "doctype html":
            self.problems.append(f"missing <!DOCTYPE html> (found {self.doctype!r})")
        if not self.lang:
            self.problems.append("<html> has no lang attribute")
        if len(self.titles) != 1 or not self.titles[0]:
            self.problems.append(f"expected one non-empty <title> in <head>, found {self.titles!r}")
        for tag in self.stack:
            self.problems.append(f"<{tag}> is never closed")


def main():
    if len(sys.argv) != 2:
        print("usage: check-html.py FILE", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as handle:
        text = handle.read()
    checker = Checker()
    checker.feed(text)
    checker.close()
    checker.finish()
    for problem in checker.problems:
        print(problem)
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())
