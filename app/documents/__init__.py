"""Documents as the secretariat uses them: files and versions, status, circuit."""
