"""The whole serverless flow on one machine: moto, the simulator, the real handlers."""
