"""Deploying: an upload of BPMN, DMN and forms read, checked and rewritten into versions the engine runs."""
