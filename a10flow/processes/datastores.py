"""The data stores processes keep (a10flow.engine.stores), on the database: made at deploy, read
and written in a step's own transaction, and shown to the people who look after them."""
from .. import clock
from ..engine.stores import NAMED, StoreProblem
from ..evidence import canonical
from ..errors import Invalid, NotFound
from ..models import DataStore, db


def declare(stores, filename):
    """Make the stores a deployed process uses ({id: kind}), empty. :raises Invalid: a store of the
    same id is already kept as another kind (the process would read what it does not expect)."""
    for store_id, kind in sorted(stores.items()):
        row = db.session.get(DataStore, store_id)
        if row is None:
            db.session.add(DataStore(id=store_id, kind=kind, revision=0))
            db.session.flush()
        elif row.kind != kind:
            raise Invalid("the upload cannot be deployed", [{"file": filename, "element": store_id, "message": (
                f"the data store {store_id!r} is kept as a {row.kind.upper()} store, and this process uses "
                f"it as a {kind.upper()} store: give the dataStore another id, or name it "
                f"{NAMED[row.kind]}")}])


class Backend:
    """What the engine reads and writes stores through, in the step's transaction. A store's row
    stays locked from its first read until the step commits: a task that reads a document and
    writes it back never loses what another instance wrote in between."""

    def read(self, store_id, kind):
        row = self._row(store_id, kind)
        return row.revision, row.content

    def write(self, store_id, kind, content):
        row = self._row(store_id, kind)
        row.content, row.revision, row.written_at = content, row.revision + 1, clock.now()
        db.session.flush()
        return row.revision

    @staticmethod
    def fingerprint(content):
        """The SHA-256 by which the evidence names a content read (of its canonical JSON)."""
        return canonical.sha256(content)

    @staticmethod
    def _row(store_id, kind):
        row = db.session.execute(db.select(DataStore).where(DataStore.id == store_id).with_for_update()
                                 .execution_options(populate_existing=True)).scalar_one_or_none()
        if row is None:   # made at deploy, so only a database changed by hand lacks it
            raise StoreProblem(f"the data store {store_id!r} is not kept here: deploy its process again")
        if row.kind != kind:
            raise StoreProblem(f"the data store {store_id!r} is a {row.kind.upper()} store, not a "
                               f"{kind.upper()} store")
        return row


def written(instance, element_id, store_id):
    """Note which instance and element wrote the store's current revision."""
    row = db.session.get(DataStore, store_id)
    row.written_by, row.written_element = instance.id, element_id


def listing():
    """Every store, by id."""
    return db.session.scalars(db.select(DataStore).order_by(DataStore.id)).all()


def get(store_id):
    """:raises NotFound: no such store."""
    if (row := db.session.get(DataStore, store_id)) is None:
        raise NotFound(f"no data store {store_id!r}")
    return row
