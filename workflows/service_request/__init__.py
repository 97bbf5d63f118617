"""ServiceRequest: one durable workflow per customer request (docs/contract.md)."""
