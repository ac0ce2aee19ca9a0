"""Ticket analysis: sentiment, signals and complaint category of support text, offline, in English and Danish."""

from clvdesk.analysis.analyser import analyse
from clvdesk.analysis.model import CATEGORY_LABELS, LABELS, SIGNAL_LABELS, Category, Label, Sentiment, Signal

__all__ = ["CATEGORY_LABELS", "LABELS", "SIGNAL_LABELS", "Category", "Label", "Sentiment", "Signal", "analyse"]
