"""The `Inspection` workflow: one planned inspection, its findings and their corrections
((七)2b/2d/2e, (四)2, (五)5)."""
