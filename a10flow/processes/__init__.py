"""Running processes as people find them: instances, incidents, the registers and data stores they keep."""
