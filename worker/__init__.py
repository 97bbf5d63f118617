"""The worker: every workflow and activity of the product on task queue `cable-service`."""
