import { accessTokensContract, passwordHasherContract, userRepositoryContract } from "@userkit/domain/testing"
import { FastPasswordHasher, MemoryAccessTokens, MemoryUserRepository } from "../src/index.js"

userRepositoryContract("memory", MemoryUserRepository.layer)
passwordHasherContract("fast test hasher", FastPasswordHasher.layer)
accessTokensContract("memory", MemoryAccessTokens.layer(), MemoryAccessTokens.layer())
