"""A local stand-in for Amazon SP-API and Login with Amazon; see sandbox.simulator."""
