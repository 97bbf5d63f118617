"""`cablecare simulate`: a month of the service under a policy, on the same case logic.

- `workload.py` the versioned workload model (arrivals, people, durations, reach rates);
- `generate.py` the seeded month: requests and what each customer will do;
- `driver.py` one case driven through the pure case logic exactly as the workflow drives it;
- `fast.py` the discrete-event engine (technicians, queues) on top of the driver;
- `real.py` the same month through real `ServiceRequest` workflows with time skipping;
- `outcome.py` / `render.py` the month's figures and the R3.3 assessment, JSON/CSV/HTML;
- `compare.py` policies or workloads side by side over several seeds; `fit.py` calibration.
"""
