"""Identity: the realm of the identity provider, its admin client and issued credentials."""
