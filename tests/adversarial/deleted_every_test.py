# %% identity_filled (delete)

# %% dot_loop_basic (delete)

# %% dot_loop_edge_cases (delete)

# %% dot_vectorised_basic (delete)

# %% dot_vectorised_edge_cases (delete)

# %% timing_fake_clock (delete)

# %% dot_vectorised_speed (delete)

# %% readonly_test_helpers (delete)
