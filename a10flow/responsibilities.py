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


def problems(matrix):
    """Everything wrong with a matrix, each naming its row (1-based) or party; empty when it is sound."""
    if not isinstance(matrix, dict):
        return ["the matrix must be an object with parties and rows"]
    found = []
    parties = matrix.get("parties") or []
    names = [p.get("name") for p in parties if isinstance(p, dict)]
    for party in parties:
        if not isinstance(party, dict) or not party.get("name"):
            found.append("every party needs a name")
        elif not (party.get("representative") or "").strip():
            found.append(f"party {party['name']!r} has no named representative")
    rows = matrix.get("rows") or []
    if not rows:
        found.append("the matrix has no rows")
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            found.append(f"row {number} is not an object")
            continue
        where = f"row {number} ({row.get('stage')} / {row.get('activity')})"
        if row.get("stage") not in LIFE_CYCLE_STAGES:
            found.append(f"{where}: unknown life-cycle stage; use one of {', '.join(LIFE_CYCLE_STAGES)}")
        if row.get("activity") not in ACTIVITIES:
            found.append(f"{where}: unknown activity; use one of {', '.join(ACTIVITIES)}")
        assignments = row.get("assignments") or {}
        for party, letters in assignments.items():
            if party not in names:
                found.append(f"{where}: {party!r} is not one of the parties")
            if not letters or set(str(letters)) - LETTERS:
                found.append(f"{where}: {party!r} has {letters!r}; use the letters R, A, C and I")
        accountable = [p for p, letters in assignments.items() if "A" in str(letters)]
        if len(accountable) != 1:
            found.append(f"{where}: needs exactly one Accountable (A) party, has {len(accountable)}"
                         + (f" ({', '.join(accountable)})" if accountable else ""))
        if not any("R" in str(letters) for letters in assignments.values()):
            found.append(f"{where}: needs at least one Responsible (R) party")
    return found
