"""The A.10.2 responsibility matrix and the rules it must meet before anyone signs it.

A matrix is plain data, as a form submits it::

    {"parties": [{"name": "Acme", "kind": "supplier", "representative": "anna@acme.example"}, ...],
     "rows": [{"stage": "deployment", "activity": "monitoring",
               "assignments": {"Acme": "R", "Us": "A"}, "basis": "MSA §7.2"}, ...]}

Each row gets exactly one Accountable (A) party and at least one Responsible (R) party.
A party may hold both, written "RA". Every party has a named representative.
"""
LIFE_CYCLE_STAGES = ("inception", "design and development", "verification and validation", "deployment",
                     "operation and monitoring", "re-evaluation", "retirement")
ACTIVITIES = ("data provision", "model provision", "training", "validation", "deployment", "human oversight",
              "monitoring", "logging", "incident handling", "impact assessment", "customer information",
              "PII role")
LETTERS = set("RACI")


def findings(matrix):
    """Everything wrong with a matrix as ``(path, message)``: ``path`` is where in the matrix it is,
    as a tuple (``("rows", 0, "assignments", "Acme")``), so a form can put it beside its row or
    cell; empty when the matrix is sound."""
    if not isinstance(matrix, dict):
        return [((), "the matrix must be an object with parties and rows")]
    found = []
    parties = matrix.get("parties") if isinstance(matrix.get("parties"), list) else []
    names = [p.get("name") for p in parties if isinstance(p, dict)]
    for number, party in enumerate(parties):
        if not isinstance(party, dict) or not party.get("name"):
            found.append((("parties", number, "name"), "every party needs a name"))
        elif names.count(party["name"]) > 1 and names.index(party["name"]) < number:
            found.append((("parties", number, "name"), f"another party is called {party['name']!r} already"))
        elif not (party.get("representative") or "").strip():
            found.append((("parties", number, "representative"), f"party {party['name']!r} has no named representative"))
    rows = matrix.get("rows") if isinstance(matrix.get("rows"), list) else []
    if not rows:
        found.append((("rows",), "the matrix has no rows"))
    for number, row in enumerate(rows):
        at = ("rows", number)
        if not isinstance(row, dict):
            found.append((at, f"row {number + 1} is not an object"))
            continue
        if row.get("stage") not in LIFE_CYCLE_STAGES:
            found.append(((*at, "stage"), f"unknown life-cycle stage; use one of {', '.join(LIFE_CYCLE_STAGES)}"))
        if row.get("activity") not in ACTIVITIES:
            found.append(((*at, "activity"), f"unknown activity; use one of {', '.join(ACTIVITIES)}"))
        assignments = row.get("assignments") if isinstance(row.get("assignments"), dict) else {}
        for party, letters in assignments.items():
            if party not in names:
                found.append(((*at, "assignments", party), f"{party!r} is not one of the parties"))
            if not letters or set(str(letters)) - LETTERS:
                found.append(((*at, "assignments", party), f"{party!r} has {letters!r}; use the letters R, A, C and I"))
        accountable = [p for p, letters in assignments.items() if "A" in str(letters)]
        if len(accountable) != 1:
            found.append(((*at, "assignments"), f"needs exactly one Accountable (A) party, has {len(accountable)}"
                          + (f" ({', '.join(accountable)})" if accountable else "")))
        if not any("R" in str(letters) for letters in assignments.values()):
            found.append(((*at, "assignments"), "needs at least one Responsible (R) party"))
    return found


def problems(matrix):
    """Everything wrong with a matrix as sentences, each naming its row (1-based) or party; empty
    when it is sound. What a process script gets as ``matrix_problems``."""
    rows = matrix.get("rows") if isinstance(matrix, dict) and isinstance(matrix.get("rows"), list) else []
    said = []
    for path, message in findings(matrix):
        if path[:1] == ("rows",) and len(path) > 1 and isinstance(rows[path[1]], dict):
            row = rows[path[1]]
            message = f"row {path[1] + 1} ({row.get('stage')} / {row.get('activity')}): {message}"
        said.append(message)
    return said
