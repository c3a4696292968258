"""Control ids: which framework's control an element evidences.

A process element says what it evidences in its ``control`` property, as people write it:
``A.10.3, ISO 27001 A.5.19, A.5.20; EU AI Act Art. 25(4)``. Deploy reads that once into
canonical ids, one per control, so coverage and packs list each control once and group
them by framework. An id without a framework is ISO/IEC 42001 Annex A's; a framework named
before ids holds for the ids after it up to the next ``;`` (or the next framework named).
"""
import re
from dataclasses import dataclass
from typing import Callable


def _annex_a(text):
    return text.upper()   # a.5.19 is A.5.19


def _article(text):
    """Art. 25(4), Article 25 (4) and ART 25(4) are one article: Art. 25(4)."""
    return "Art. " + re.sub(r"(?i)^art(?:icle|\.)?|\s+", "", text)


@dataclass(frozen=True)
class Framework:
    name: str        # as grouped in coverage and packs
    prefix: str      # how a canonical id of it begins ("" for ISO/IEC 42001)
    named: str       # a regular expression for the ways people name it
    id: str          # a regular expression for one of its ids (matched ignoring case)
    tidy: Callable   # one of its ids as people write it -> as canonical ids write it


ISO_42001 = Framework("ISO/IEC 42001 Annex A", "", r"ISO(?:/IEC)?\s*42001(?::\d{4})?(?:\s+Annex\s+A)?",
                      r"A\.\d+(?:\.\d+)*", _annex_a)
FRAMEWORKS = (
    ISO_42001,
    Framework("ISO/IEC 27001 Annex A", "ISO/IEC 27001 ", r"ISO(?:/IEC)?\s*27001(?::\d{4})?(?:\s+Annex\s+A)?",
              r"A\.\d+(?:\.\d+)*", _annex_a),
    Framework("EU AI Act", "EU AI Act ", r"(?:EU\s+)?AI\s+Act", r"Art(?:icle|\.)?\s*\d+[a-z]?(?:\s*\(\w+\))*",
              _article),
)
HOW = ("write ISO/IEC 42001 controls as A.10.3, and name any other framework before its ids: "
       "\"A.10.3, ISO 27001 A.5.19; EU AI Act Art. 25(4)\"")


def parse(text):
    """The canonical control ids ``text`` names, in order, each once. :raises ValueError: saying which part
    is not a control id."""
    found = []
    for part in text.split(";"):
        framework = ISO_42001
        for token in (t.strip() for t in part.split(",")):
            if not token:
                continue
            for candidate in FRAMEWORKS:
                named = re.match(rf"({candidate.named})\s+(.*)$", token, re.IGNORECASE)
                if named:
                    framework, token = candidate, named.group(2)
                    break
            if not re.fullmatch(framework.id, token, re.IGNORECASE):
                raise ValueError(f"{token!r} is not a control id of {framework.name}; {HOW}")
            canonical = framework.prefix + framework.tidy(token)
            if canonical not in found:
                found.append(canonical)
    return found


def framework_of(control):
    """The framework a canonical control id belongs to."""
    return next((f for f in FRAMEWORKS[1:] if control.startswith(f.prefix)), ISO_42001)


def order(control):
    """Sort key: by framework as listed, then by number (A.10.2 before A.10.10)."""
    framework = framework_of(control)
    return (FRAMEWORKS.index(framework),
            [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", control[len(framework.prefix):])])


def grouped(controls):
    """``[(framework name, [controls…]), …]`` in framework order, each control once, sorted."""
    groups = {}
    for control in sorted(set(controls), key=order):
        groups.setdefault(framework_of(control).name, []).append(control)
    return list(groups.items())
