"""The worker process: a thin RQ shell that hands each ticket event to clvdesk's pipeline."""
