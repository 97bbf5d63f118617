"""MaintenanceNotice: planned line maintenance and new services announced in time (R9.5)."""
