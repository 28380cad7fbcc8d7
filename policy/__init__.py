"""The security checklist as code: pure rules (standard library only) and a Pulumi policy pack."""
