"""The platform's subscription: what each organisation pays the platform per quarter for its chargers."""
