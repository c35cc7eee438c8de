"""Text helpers shared by the stages: content words (``terms``), and the dates and quantities a text mentions
(``facts``)."""
