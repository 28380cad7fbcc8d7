"""The Pulumi program: imported as `infra.<module>`; state_machines stays standard library only."""
