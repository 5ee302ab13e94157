import { passwordHasherContract, userRepositoryContract } from "@userkit/domain/testing"
import { FastPasswordHasher, MemoryUserRepository } from "../src/index.js"

userRepositoryContract("memory", MemoryUserRepository.layer)
passwordHasherContract("fast test hasher", FastPasswordHasher.layer)
