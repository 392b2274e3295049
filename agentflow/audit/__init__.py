"""The audit log: what each API mutation changed, who made it and from where, written in its transaction."""
