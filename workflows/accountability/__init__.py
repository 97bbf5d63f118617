"""AccountabilityCase: R6, the staff member is heard before any decision."""
