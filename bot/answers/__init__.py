"""Answers: understanding a question (`query`) and answering it from the store (`engine`)."""
