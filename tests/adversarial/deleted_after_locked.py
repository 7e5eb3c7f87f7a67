# %% dot_vectorised_speed (delete)
