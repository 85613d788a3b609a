"""The integrator sandbox: demo tenants, synthetic data and the web pages around the real service."""
