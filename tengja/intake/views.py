"""Pages of the intake app: a professional's required details and forms, and a
client's filling them in."""
