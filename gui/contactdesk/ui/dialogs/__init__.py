"""Dialogs: the contact editor, group dialogs, pending changes and conflict resolution."""
