"""Activities: everything that touches the database, the clock data or the outside world."""
