-- +goose Up
CREATE TABLE IF NOT EXISTS `emergency_shutoffs_scheduled_changes_signoffs` (
  `sc_id` INT NOT NULL,
  `username` VARCHAR(100) NOT NULL,
  `role` VARCHAR(50) NOT NULL,
  PRIMARY KEY (`sc_id`, `username`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `emergency_shutoffs_scheduled_changes_signoffs`;
