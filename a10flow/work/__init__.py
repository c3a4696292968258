"""People's work: human tasks and their inboxes, forms, the case a task page shows, links for outside parties, notifications."""
