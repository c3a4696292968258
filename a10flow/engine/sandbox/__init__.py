"""BPMN Python out of the service's reach: restricted, in a process of its own, confined by the OS."""
