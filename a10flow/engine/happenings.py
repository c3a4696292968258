"""What the engine reports a step did, in its own plain types: happenings, each of a kind named
here, with the element it happened at and plain data (values as the instance held them). The
step keeps each as an evidence record (a10flow.step.conclusion); the engine knows no evidence."""
from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    """The kinds of happening the engine reports."""
    GATEWAY_PATH_TAKEN = "gateway_path_taken"      # a gateway chose its flows
    DECISION_EVALUATED = "decision_evaluated"      # a business rule task ran its decision table
    SCRIPT_RUN = "script_run"
    SERVICE_RUN = "service_run"                    # a service task's call, for the step to carry out
    TIMER_FIRED = "timer_fired"
    MESSAGE_RECEIVED = "message_received"
    DATA_STORE_READ = "data_store_read"
    DATA_STORE_WRITTEN = "data_store_written"
    INSTANCE_COMPLETED = "instance_completed"
    INSTANCE_FAILED = "instance_failed"            # an element failed and waits, parked, for a person


@dataclass
class Happening:
    """Something the engine did that the evidence must show."""
    kind: Kind
    element_id: str | None
    element_name: str | None
    data: dict = field(default_factory=dict)
