"""Reference methods. Each module registers its methods with w2sbench.methods.api.register."""
