"""Text helpers shared by the stages: content words (``terms``), the dates and quantities a text mentions
(``facts``), and a text's language (``language``)."""
