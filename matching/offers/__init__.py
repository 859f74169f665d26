"""Offers after publication and what follows: each side answers, either may withdraw, reminders
before the deadline; then attendance, the employer's feedback and the school's record of completion."""
