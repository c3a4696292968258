"""Every file of the interop corpus, diagrams people really bring from other tools, through the
service: it deploys, or is refused in words that name the element and say what to change; what
deploys starts without a 500 or a hang; an instance with nothing left to wait for is completed."""
import pytest
from databases import fresh_app
from helpers import speakers
from interop_run import FILE_LEVEL, PYTHON_TALK, entries, run

ENTRIES = entries()
START_SECONDS = 30   # a hang, not a speed (bench/interop.py measures those): the largest file takes 5–15 s on a busy 2-core machine


@pytest.fixture(scope="module")
def as_(template, tmp_path_factory):
    # One database for the whole corpus: a fresh one per file would cost minutes on PostgreSQL.
    # Each file deploys new versions, and starts the versions it deployed.
    with pytest.MonkeyPatch.context() as monkeypatch:
        for app in fresh_app(template, tmp_path_factory.mktemp("interop"), monkeypatch, "interop"):
            yield speakers(app)


@pytest.mark.skipif(not ENTRIES, reason="../shared/corpus/interop is not beside the repository")
@pytest.mark.parametrize("name, files", ENTRIES, ids=[name for name, _ in ENTRIES])
def test_a_file_from_elsewhere_deploys_or_is_refused_in_words_and_runs_to_a_rest(as_, name, files):
    outcome = run(as_, files)
    assert outcome.deploy in (201, 422)
    for detail in outcome.details:   # the problems, or the warnings of a deployed file
        assert not PYTHON_TALK.search(detail["message"]), detail
        assert detail["element"] or FILE_LEVEL.match(detail["message"]), detail
    for start in outcome.starts:
        assert start.http in (201, 422), start.body
        assert start.seconds < START_SECONDS
        if start.http == 422:
            assert not PYTHON_TALK.search(str(start.body)), start.body
            continue
        if start.incident or start.status == "failed":
            assert not PYTHON_TALK.search(start.body["error"]["message"]), start.body["error"]
        elif not start.waits:
            assert start.status == "completed" and start.completed_record, start


@pytest.mark.skipif(not ENTRIES, reason="../shared/corpus/interop is not beside the repository")
def test_every_instance_of_the_corpus_is_drawn_for_its_report_with_its_path_marked(as_):
    """The pack's report draws each instance's diagram from the file's own layout: every file that
    deployed (run after the files above, in their database) draws, or has no layout to draw."""
    from a10flow.evidence import diagram
    from a10flow.models import Instance, db
    from a10flow.processes import instances
    drawn = 0
    with as_[None].client.application.app_context():
        for instance in db.session.scalars(db.select(Instance)):
            svg = diagram.svg(instance.version.xml, instances.progress(instance), key=f"instance-{instance.id}")
            assert svg is not None or "BPMNShape" not in instance.version.xml, instance.version.filename
            drawn += svg is not None
            assert diagram.element_names(instance.version.xml)
    assert drawn > 200
