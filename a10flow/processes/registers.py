"""The registers processes write to (suppliers, responsibilities, change notices): reading them."""
from ..engine.services import REGISTERS
from ..errors import NotFound
from ..models import RegisterEntry, db


def entries(register, key=None, history=False, where=None):
    """Current entries of ``register`` (superseded ones too with ``history``), by key; ``where``
    keeps those whose data fields equal the given values (compared as text, as a query gives them).

    :raises NotFound: no such register.
    """
    if register not in REGISTERS:
        raise NotFound(f"no register {register!r}; there are {', '.join(REGISTERS)}")
    stmt = db.select(RegisterEntry).where(RegisterEntry.register == register)
    if not history:
        stmt = stmt.where(RegisterEntry.superseded_at.is_(None))
    if key:
        stmt = stmt.where(RegisterEntry.key == key)
    rows = db.session.scalars(stmt.order_by(RegisterEntry.key, RegisterEntry.id)).all()
    return [r for r in rows if all(str(r.data.get(k)) == v for k, v in (where or {}).items())]
