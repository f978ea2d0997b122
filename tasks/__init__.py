"""Task definitions (one YAML file per task) and shipped task data; installed as the package
w2sbench.tasks.definitions so that a wheel lists every task."""
