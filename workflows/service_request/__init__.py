"""ServiceRequest: one durable workflow per customer request (CONTRACT.md)."""
