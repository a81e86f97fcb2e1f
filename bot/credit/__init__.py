"""Credit control: what the credit manager decides with (lateness, risk, exposure, cash coming in).

The functions here that decide are pure (data in, figures out); the loaders that read the database
sit beside them and say so in their name (`load_...`).
"""
