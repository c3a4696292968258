"""An auditor's own tools check the service's checkpoints: C2SP signed notes over an RFC 6962 Merkle
tree of the chain heads, and a scoped pack's inclusion proofs.

The checks below are written from the specifications (c2sp.org/signed-note, c2sp.org/tlog-checkpoint,
RFC 9162 section 2.1), not from a10flow's code, which they do not import."""
import base64
import hashlib
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from helpers import signed_in
from test_evidence_integrity import _checkpoint, _purchase, _tamper, _verify

# --- an independent reading of the specifications ---------------------------------------------


def parse_vkey(vkey):
    """A verifier key as signed-note tools write it: name+hex key ID+base64(type || public key)."""
    name, key_id, typed = vkey.split("+", 2)   # base64 may hold "+" too
    raw = base64.b64decode(typed)
    assert raw[0] == 0x01 and len(raw) == 33   # Ed25519
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == key_id
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note, vkey):
    """The (origin, size, root) of a tlog-checkpoint, if a signature line of the key verifies."""
    name, key_id, key = parse_vkey(vkey)
    text, signatures = note[:note.rindex("\n\n") + 1], note[note.rindex("\n\n") + 2:]
    assert signatures.endswith("\n") and all(ord(c) >= 0x20 or c == "\n" for c in note)
    good = []
    for line in signatures.splitlines():
        assert line.startswith("\u2014 ")
        line_name, signature = line[2:].split(" ")
        blob = base64.b64decode(signature)
        if line_name == name and blob[:4] == key_id:
            key.verify(blob[4:], text.encode())   # raises when it does not verify
            good.append(line)
    assert good, "no signature by the key"
    origin, size, root, *extensions = text.splitlines()
    assert origin == name and not extensions and str(int(size)) == size
    return origin, int(size), base64.b64decode(root)


def mth(leaves):
    """RFC 9162 2.1.1: the Merkle Tree Hash of a list of leaf data."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def verify_inclusion(leaf_data, index, size, path, root):
    """RFC 9162 2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, hashlib.sha256(b"\x00" + leaf_data).digest()
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn // 2, sn // 2
    return sn == 0 and r == root


def leaf_data(chain):
    """The leaf of a chain head, as FORMAT.md gives it: canonical JSON of instance_id, length, head."""
    return json.dumps({"instance_id": chain["instance_id"], "length": chain["length"], "head": chain["head"]},
                      sort_keys=True, separators=(",", ":")).encode()


# --- the auditor's story -----------------------------------------------------------------------


def test_every_checkpoint_is_a_signed_note_over_the_merkle_tree_of_the_chain_heads(as_, purchase):
    _purchase(as_)
    _purchase(as_)
    _checkpoint(as_)
    _purchase(as_)
    _checkpoint(as_)
    published = as_[None].get("/api/v1/evidence/public-key").json
    items = as_["auditor"].get("/api/v1/evidence/checkpoints").json["items"]
    leaves = []
    for checkpoint in items:
        record = json.loads(checkpoint["record"])
        leaves += [leaf_data(chain) for chain in record["chains"]]
        origin, size, root = open_checkpoint(checkpoint["note"], published["note_verifier_key"])
        assert origin == published["origin"] and size == len(leaves) == record["tree_size"]
        assert root == mth(leaves) and base64.b64encode(root).decode() == record["root_hash"]
    assert [json.loads(c["record"])["tree_size"] for c in items] == [3, 4]   # the access record's chain is a leaf too


def test_a_scoped_pack_proves_its_chains_in_the_signed_tree_and_names_no_other(as_, purchase):
    ids = [_purchase(as_) for _ in range(5)]
    _checkpoint(as_)
    extra = _purchase(as_)   # after the checkpoint: not covered yet
    published = as_[None].get("/api/v1/evidence/public-key").json
    pack = zipfile.ZipFile(io.BytesIO(as_["auditor"].get(f"/api/v1/evidence/export?instance={ids[3]}").data))
    assert "checkpoints.json" not in pack.namelist()
    _, size, root = open_checkpoint(pack.read("checkpoint.txt").decode(), published["note_verifier_key"])
    proofs = json.loads(pack.read("proofs.json"))
    [proof] = proofs["chains"]
    assert proofs["tree_size"] == size == 6 and proof["instance_id"] == ids[3]
    assert verify_inclusion(leaf_data(proof), proof["leaf_index"], size,
                            [base64.b64decode(p) for p in proof["path"]], root)
    records = [json.loads(line) for line in pack.read("records.jsonl").decode().splitlines()]
    assert len(records) == proof["length"] and records[-1]["hash"] == proof["head"]
    assert {r["instance_id"] for r in records} == {ids[3]} and extra not in json.loads(pack.read("manifest.json"))[
        "instances"]
    assert json.loads(pack.read("manifest.json"))["uncovered_records"] == 0
    assert "Every record in this pack is covered by the signed checkpoint" in pack.read("report.html").decode()

    later = zipfile.ZipFile(io.BytesIO(as_["auditor"].get(f"/api/v1/evidence/export?instance={extra}").data))
    assert json.loads(later.read("proofs.json"))["chains"] == []   # no checkpoint has seen it yet
    assert json.loads(later.read("manifest.json"))["uncovered_records"] == 6
    said = " ".join(later.read("report.html").decode().split())
    assert "6 records in this pack are not yet covered by a signed checkpoint" in said


def test_a_checkpoint_note_signed_by_another_key_or_over_another_tree_is_found(app, as_, purchase):
    _purchase(as_)
    _checkpoint(as_)
    with _tamper(app) as conn:   # a tree head of someone's choosing, signed with a key of their own
        note = conn.execute(sa.text("SELECT note FROM checkpoints WHERE seq = 1")).scalar_one()
        origin, size, _ = note.split("\n")[:3]
        text = f"{origin}\n{size}\n{base64.b64encode(b'x' * 32).decode()}\n".encode()
        mallory = Ed25519PrivateKey.generate()
        raw = mallory.public_key().public_bytes_raw()
        blob = hashlib.sha256(origin.encode() + b"\n\x01" + raw).digest()[:4] + mallory.sign(text)
        conn.execute(sa.text("UPDATE checkpoints SET note = :n WHERE seq = 1"),
                     {"n": f"{text.decode()}\n\u2014 {origin} {base64.b64encode(blob).decode()}\n"})
    report = _verify(as_)
    assert report["first_problem"]["kind"] == "checkpoint_forged" and report["first_problem"]["checkpoint"] == 1
    assert "signed note" in report["first_problem"]["message"]


def test_checkpoints_signed_before_there_were_notes_stay_leaves_of_the_tree(app, as_, purchase):
    from a10flow.evidence import checkpoints
    from a10flow.evidence.canonical import canonical
    first = _purchase(as_)
    head = as_["auditor"].get(f"/api/v1/instances/{first}/evidence").json["items"][-1]["hash"]
    key = app.config["A10FLOW_SIGNING_KEY"]
    with app.app_context():   # a checkpoint as the service signed them before this change
        body = canonical({"seq": 1, "at": "2026-11-30T09:00:00+00:00", "prev_hash": None,
                          "key_id": checkpoints.key_id(key),
                          "chains": [{"instance_id": first, "length": 6, "head": head}]})
        signature = checkpoints.sign(key, body)
    with _tamper(app) as conn:
        conn.execute(sa.text("INSERT INTO checkpoints (seq, at, record, prev_hash, hash, signature) "
                             "VALUES (1, '2026-11-30T09:00:00+00:00', :r, NULL, :h, :s)"),
                     {"r": body.decode(), "h": hashlib.sha256(body).hexdigest(), "s": signature})
        conn.execute(sa.text("UPDATE instances SET checkpointed_seq = 6 WHERE id = :i"), {"i": first})
    assert _verify(as_)["ok"]
    second = _purchase(as_)
    made = _checkpoint(as_)["checkpoint"]
    assert json.loads(made["record"])["tree_size"] == 3   # the old checkpoint's chain is the first leaf
    report = _verify(as_)
    assert report["ok"] and report["checkpoints"] == 2 and report["unprotected_records"] == 0
    pack = zipfile.ZipFile(io.BytesIO(as_["auditor"].get(f"/api/v1/evidence/export?instance={second}").data))
    assert json.loads(pack.read("proofs.json"))["chains"][0]["leaf_index"] == 2


def _forge(proofs, note):
    """What someone holding a pack might try on its proofs (a dict) and note (text)."""
    return {
        "a path that leads nowhere": lambda: proofs["chains"][0].update(path=[base64.b64encode(b"y" * 32).decode()]),
        "a path that is not base64": lambda: proofs["chains"][0].update(path=["not base64!"]),
        "a leaf beyond the tree": lambda: proofs["chains"][0].update(leaf_index=10**12),
        "a head of someone's choosing": lambda: proofs["chains"][0].update(head="0" * 64),
        "another tree size": lambda: proofs.update(tree_size="5"),
        "no chains at all": lambda: proofs.update(chains="everything"),
    }, {
        "a note that is not one": "hello\n",
        "a note with a control character": note.replace("\n", "\r\n", 1),
        "a signature line without its dash": note.replace("\u2014 ", "- "),
    }


@pytest.mark.parametrize("forgery", [*_forge({}, "")[0], *_forge({}, "")[1]])
def test_a_forged_proof_or_note_is_not_verified_even_under_a_good_manifest(app, as_, purchase, tmp_path, forgery):
    from a10flow.evidence import checkpoints, verifier
    instance = _purchase(as_)
    _purchase(as_)
    _checkpoint(as_)
    pack = zipfile.ZipFile(io.BytesIO(as_["auditor"].get(f"/api/v1/evidence/export?instance={instance}").data))
    files = {n: pack.read(n) for n in pack.namelist()}
    proofs = json.loads(files["proofs.json"])
    on_proofs, notes = _forge(proofs, files["checkpoint.txt"].decode())
    if forgery in on_proofs:
        on_proofs[forgery]()
        files["proofs.json"] = json.dumps(proofs).encode()
    else:
        files["checkpoint.txt"] = notes[forgery].encode()
    manifest = json.loads(files["manifest.json"])
    for name in ("proofs.json", "checkpoint.txt"):
        manifest["files"][name] = hashlib.sha256(files[name]).hexdigest()
    files["manifest.json"] = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    with app.app_context():   # whoever holds the key can sign a manifest, not a tree the log never had
        files["manifest.sig"] = checkpoints.sign(app.config["A10FLOW_SIGNING_KEY"], files["manifest.json"]).encode()
    path = tmp_path / "pack.zip"
    with zipfile.ZipFile(path, "w") as out:
        for name, body in files.items():
            out.writestr(name, body)
    report = verifier.verify_pack(path, trusted_key_id=as_[None].get("/api/v1/evidence/public-key").json["key_id"])
    [problem] = report.problems   # in words, not Python's
    assert problem.kind == "checkpoint_forged" and "Error" not in problem.message
    if forgery in on_proofs and forgery not in ("another tree size", "no chains at all"):
        assert problem.message == "its inclusion proof does not lead to the signed checkpoint"
        assert problem.instance_id == instance


def test_people_read_what_is_not_yet_covered_and_owners_sign_a_checkpoint_from_the_page(app, as_, purchase):
    _purchase(as_)
    auditor = signed_in(app, "auditor")
    page = auditor.get("/audit/verify").text
    assert '<dd id="uncovered">14 records</dd>' in page   # 8 of them the access record's: the users and "Sign a checkpoint now" not in page
    assert auditor.post("/audit/checkpoint").status_code == 403   # auditors read; they do not sign
    owner = signed_in(app, "owner")
    assert "Sign a checkpoint now" in owner.get("/audit/verify").text
    signed = owner.post("/audit/checkpoint")
    assert signed.status_code == 302
    page = owner.get(signed.headers["Location"]).text
    assert "Checkpoint 1 signed: every record so far is covered." in page
    assert '<dd id="uncovered">0 records</dd>' in page


def test_the_verifier_speaks_to_people_too(app, as_, purchase, tmp_path):
    from click.testing import CliRunner

    from a10flow.cli import main
    _purchase(as_)
    _checkpoint(as_)
    _purchase(as_)
    with app.app_context():
        said = CliRunner().invoke(main, ["evidence", "verify", "--text"])
    assert said.exit_code == 0, said.output
    assert said.output.startswith("VERIFIED: 20 records of 2 instances and the access record, 1 checkpoints")
    assert "Not yet covered by a signed checkpoint: 6 record(s)." in said.output
    with _tamper(app) as conn:
        conn.execute(sa.text("DELETE FROM evidence WHERE seq = 2"))
    with app.app_context():
        said = CliRunner().invoke(main, ["evidence", "verify", "--text"])
    assert said.exit_code == 1
    assert "Problems (3, the first of each chain):" in said.output   # the access record's chain too
    assert "  1. the access record, record 2: deleted: record 2 is missing" in said.output
    assert "  2. instance 1, record 2: deleted: record 2 is missing" in said.output


def test_a_log_name_that_cannot_be_one_is_refused_plainly(app, as_, purchase):
    _purchase(as_)
    app.config["A10FLOW_EVIDENCE_ORIGIN"] = "our log + more"
    refused = as_["owner"].post("/api/v1/evidence/checkpoints")
    assert refused.status_code == 503 and "A10FLOW_EVIDENCE_ORIGIN" in refused.json["error"]["message"]
