"""The HTTP gateway: department systems publish, pull and claim over HTTP with the platform's
client-credentials tokens, each token acting for exactly one party."""
