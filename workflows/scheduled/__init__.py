"""Workflows run by Temporal Schedules: fee reminders, key-account callbacks, assessments."""
